# help targets (being written)
