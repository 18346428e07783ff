# check targets (being written)
