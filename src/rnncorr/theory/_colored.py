"""placeholder"""
__all__ = ["solve_colored"]


def solve_colored(activation, g, sigma2, noise_tau):
    raise NotImplementedError
