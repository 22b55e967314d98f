"""Service catalog: items (事项) with their guides, 一件事 bundles, and touchscreen search.

Public API (see docs/catalog.md)::

    catalog = load_catalog(config_dir() / "catalog")     # raises CatalogError naming file, code and field
    catalog.items, catalog.item(code), catalog.bundles, catalog.departments
    bundle.merged_materials(), bundle.merged_form()
    index = SearchIndex(catalog); index.search("ylbx", limit=10); index.record_use(code)
    SearchIndex(catalog, uses=UseCounts(data_dir / "catalog_uses.json"))   # use counts kept across restarts
"""

from kiosk.catalog.loader import Catalog, CatalogError, CatalogStore, Problem, load_catalog, write_catalog
from kiosk.catalog.model import (
    Bundle,
    CommunityService,
    Department,
    FieldType,
    FormField,
    Item,
    ItemType,
    Material,
    MaterialForm,
    MergedMaterial,
    MergedMaterials,
    validate_field,
)
from kiosk.catalog.uses import UseCounts

__all__ = [
    "Bundle",
    "Catalog",
    "CatalogError",
    "CatalogStore",
    "CommunityService",
    "Department",
    "FieldType",
    "FormField",
    "Item",
    "ItemType",
    "Material",
    "MaterialForm",
    "MergedMaterial",
    "MergedMaterials",
    "Problem",
    "UseCounts",
    "load_catalog",
    "validate_field",
    "write_catalog",
]
