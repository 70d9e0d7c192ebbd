"""The lineage report: served by the registry process, in a package of its own so that the
registry (code and contract) depends on neither training nor monitoring."""
