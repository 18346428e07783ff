# deps targets (being written)
