"""`lumen import`: load orders from a CSV file."""

import csv


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def import_orders(path):
    rows = read_rows(path)
    print(f"Imported {len(rows)} orders from {path}")
