"""A 2016-style update rule: right under Python 2, whose dicts had iteritems()."""


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1e-2, "momentum": 0.9}.iteritems():
        config.setdefault(key, value)
    v = config.get("velocity", 0 * w)
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
