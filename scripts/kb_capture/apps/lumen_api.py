"""Lumen Orders public API (FastAPI)."""

import time

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="Lumen Orders API")


class Item(BaseModel):
    sku: str
    qty: int


class OrderIn(BaseModel):
    customer_id: int
    currency: str = "EUR"
    items: list[Item]


@app.post("/api/v1/orders", status_code=201)
def create_order(order: OrderIn) -> dict:
    return {"id": 5001, "items": len(order.items)}


@app.get("/api/v1/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/api/v1/reports/{name}")
def report(name: str) -> dict:
    time.sleep(60)  # the monthly report query is slow
    return {"report": name}
