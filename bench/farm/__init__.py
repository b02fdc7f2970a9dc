"""The printer-farm benchmark: one broker, many moontwist instances, one fleet client."""
