"""Lumen Orders reports service (Flask) -- deliberately carries two known bugs.

* /orders/<id>/invoice crashes for guest orders (customer is None).
* With LUMEN_FORCE_HTTPS=1 behind a TLS-terminating proxy that does not send
  X-Forwarded-Proto, every request is redirected to https again (redirect loop).
"""

import os
from dataclasses import dataclass

from flask import Flask, redirect, request

app = Flask(__name__)


@dataclass
class Customer:
    name: str
    email: str


@dataclass
class Order:
    id: int
    total: float
    customer: Customer | None


ORDERS = {
    1041: Order(1041, 129.90, Customer("Ada Moreau", "ada@example.com")),
    1042: Order(1042, 54.00, None),  # guest checkout
    2210: Order(2210, 18.50, None),  # guest checkout
}


@app.before_request
def force_https():
    if os.environ.get("LUMEN_FORCE_HTTPS") == "1" and request.scheme != "https":
        return redirect(request.url.replace("http://", "https://", 1), code=301)
    return None


@app.get("/")
def home():
    return "<h1>Lumen Orders - reports</h1>"


@app.get("/orders/<int:order_id>/invoice")
def invoice(order_id: int):
    order = ORDERS[order_id]
    recipient = order.customer.email
    return f"<h1>Invoice #{order.id}</h1><p>Sent to {recipient}: {order.total:.2f} EUR</p>"
