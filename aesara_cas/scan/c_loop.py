def native_loop(op):
    return None
