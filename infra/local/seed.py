"""Seed the demo catalog (`infra/seed/catalog.json`) through the application's own repository,
so the items are exactly what the functions read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_CATALOG = Path(__file__).resolve().parents[1] / "seed" / "catalog.json"


class SeedError(Exception):
    pass


def read_catalog(path: Path = SEED_CATALOG) -> list[dict[str, Any]]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read the seed catalog {path}: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise SeedError(f"{path} must hold a JSON array of products")
    return items


def seed_catalog(path: Path = SEED_CATALOG) -> list[str]:
    """Validate every product first, then save them all; the product ids, in file order."""
    from pydantic import ValidationError

    from atelier.bootstrap import build_container
    from atelier.domain.catalog import Product

    products = []
    for index, item in enumerate(read_catalog(path)):
        try:
            products.append(Product.model_validate(item))
        except ValidationError as exc:
            raise SeedError(f"{path}: product #{index} is invalid: {exc}") from exc
    container = build_container()
    for product in products:
        container.products.save(product)
    return [product.product_id for product in products]
