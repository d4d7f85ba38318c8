"""Publishing: the analysts' database, one file holding every published data cut (``database``)."""
