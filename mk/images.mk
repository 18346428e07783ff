# images targets (being written)
