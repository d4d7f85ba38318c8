"""Cohort construction: which SQL models exist, their order and the spec values they bind (``models``)."""
