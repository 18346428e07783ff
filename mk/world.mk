# world targets (being written)
