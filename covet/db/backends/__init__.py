"""One module per database backend; ``base`` holds what they share."""
