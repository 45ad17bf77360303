"""Reading users' files: CSV, Excel, GeoJSON, GeoPackage and Shapefile, in any of the coordinate
systems Chinese data comes in, checked row by row against each kind's schema.

Nothing here touches the database: :func:`~gridmgmt.io.validate.validate_table` is given what
it needs to know about the store as a :class:`~gridmgmt.io.validate.Reference`, and the
import service (:mod:`gridmgmt.services.imports`) does the storing.

Import from the modules (``gridmgmt.io.readers``, ``gridmgmt.io.validate``...): this package
imports none of them, so that a command needing only :mod:`gridmgmt.io.problems` or
:mod:`gridmgmt.io.schemas` does not load pandas and the spatial readers.
"""
