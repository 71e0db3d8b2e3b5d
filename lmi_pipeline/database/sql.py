"""SQL lives in `.sql` files beside the assets that run it; this reads them."""

from functools import cache
from pathlib import Path


@cache
def load_sql(module_file: str, name: str) -> str:
    return (Path(module_file).parent / f"{name}.sql").read_text(encoding="utf-8")
