"""API machinery: kinds, names, labels, quantities, defaults and validation of objects."""
