"""Case links (涉烟案件串并): identifiers, entity resolution, the link graph and networks.

A pure engine: plain dataclasses and networkx graphs in and out, no database and no web.

- :mod:`~gridmgmt.cases.model`: cases, mentions, and their JSON and CSV import forms;
- :mod:`~gridmgmt.cases.identifiers`: normalising and validating ID numbers, phones, plates,
  waybills, addresses, bank accounts, companies, licence numbers and names;
- :mod:`~gridmgmt.cases.resolution`: which mentions are the same entity, and why;
- :mod:`~gridmgmt.cases.graph`: the case-entity link graph and the weighted case projection;
- :mod:`~gridmgmt.cases.networks`: networks, flags, merge suggestions, chains, timelines,
  centrality, and the incremental :class:`~gridmgmt.cases.networks.CaseLinkIndex`;
- :mod:`~gridmgmt.cases.synthetic`: realistic case sets with planted networks and the truth.
"""
