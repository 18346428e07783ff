# bench targets (being written)
