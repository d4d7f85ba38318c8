"""Ingest: a delivery verified against its manifest and the raw contracts, then landed in ``raw`` (``delivery``);
its sources: the synthetic CGDB-shaped generator (``synthetic``) and the cBioPortal study converter (``cbioportal``),
both of which write a delivery folder into the landing area."""
