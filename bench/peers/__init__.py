"""The servers CovetPy is measured against, each written the way its TechEmpower entry is."""
