"""Demo data for a fresh store: categories, products, boutiques and their shopping guides.

seed_database("sqlite:///var/shop-gucci.db", instance="gucci")   # migrate + fill
seed_shop(session, instance="louis-vuitton")                      # fill (caller commits)
"""

from miniport.shop.seed.seeding import (
    STORES,
    AlreadySeeded,
    SeedSummary,
    seed_database,
    seed_shop,
)

__all__ = ["STORES", "AlreadySeeded", "SeedSummary", "seed_database", "seed_shop"]
