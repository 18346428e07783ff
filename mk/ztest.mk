# ztest targets (being written)
