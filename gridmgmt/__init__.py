"""gridmgmt: grid management, route planning and case links for tobacco monopoly bureaus."""
