"""`lumen sync` / `lumen worker`: the local SQLite order cache."""

import os
import sqlite3
import time
from pathlib import Path


def cache_path():
    return Path(os.path.expanduser("~/.cache/lumen/orders.db"))


def connect():
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=2.0)
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total REAL)")
    return conn


def sync_orders():
    conn = connect()
    print("Fetching new orders from https://api.lumen.test ... 3 new")
    with conn:
        conn.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?)", [(5001, 9.5), (5002, 12.0), (5003, 80.0)])
    print("Cache updated")


def run_worker():
    conn = connect()
    conn.isolation_level = None
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT OR REPLACE INTO orders VALUES (1, 0)")
    print("worker: refreshing cache (holding write lock)", flush=True)
    time.sleep(3600)
