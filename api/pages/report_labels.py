"""The quarterly report's titles, columns and chart titles as English msgids.

The report service names its sections in English (:mod:`gridmgmt.services.cooperation.report`);
these marks put the names in the catalogues, so the page and the Excel file show them in the
reader's language. A section added later shows its English names until it is listed here.
"""

from __future__ import annotations

from typing import Final

from api.i18n import N_

REPORT_TEXTS: Final = (
    N_("Report"),
    N_("Quarterly mutual report"),
    N_("Quarter"),
    N_("Counties"),
    N_("Generated"),
    N_("Cases and seizures"),
    N_("Cases opened per county"),
    N_("Leads handed over"),
    N_("Leads received per county"),
    N_("Border-market retailers"),
    N_("Border-market retailers per county"),
    N_("Outflow suspects"),
    N_("Cross-border price gaps"),
    N_("Joint border-market sweeps"),
    N_("Violations found in sweeps per county"),
    N_("Joint cases and merges"),
    N_("Joint cases"),
    N_("Joined"),
    N_("Merges proposed"),
    N_("Merges in force"),
    N_("County"),
    N_("Case type"),
    N_("Cases"),
    N_("Cartons seized"),
    N_("Value (yuan)"),
    N_("Leads sent"),
    N_("Leads received"),
    N_("Accepted"),
    N_("Median hours to acknowledge"),
    N_("Overdue (received)"),
    N_("Value fed back (yuan)"),
    N_("Near a county border"),
    N_("Near a province border"),
    N_("Suspects"),
    N_("Product"),
    N_("Median"),
    N_("Gap (yuan)"),
    N_("Gap (%)"),
    N_("Sweeps"),
    N_("Targets"),
    N_("Checked"),
    N_("Violations"),
    N_("Joint cases and merges"),
    N_("Joint cases"),
    N_("Joined"),
    N_("Merges proposed"),
    N_("Merges in force"),
)
"""Every English text of the report's sections, for the extractor."""
