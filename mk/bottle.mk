# bottle targets (being written)
