"""Reading users' files: CSV, Excel, GeoJSON, GeoPackage and Shapefile, in any of the coordinate
systems Chinese data comes in, checked row by row against each kind's schema.

Nothing here touches the database: :func:`~gridmgmt.io.validate.validate_table` is given what
it needs to know about the store as a :class:`~gridmgmt.io.validate.Reference`, and the
import service (:mod:`gridmgmt.services.imports`) does the storing.
"""

from gridmgmt.io.problems import ImportValidationError, Problem
from gridmgmt.io.readers import SourceTable, read_source
from gridmgmt.io.schemas import SCHEMAS, FieldSpec, KindSchema, get_schema, import_kinds
from gridmgmt.io.validate import Reference, ValidatedRows, validate_table

__all__ = [
    "SCHEMAS",
    "FieldSpec",
    "ImportValidationError",
    "KindSchema",
    "Problem",
    "Reference",
    "SourceTable",
    "ValidatedRows",
    "get_schema",
    "import_kinds",
    "read_source",
    "validate_table",
]
