"""Progress lines for long work: iterations, loss, throughput and time left."""
import time


def format_seconds(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Print a line at most every ``every`` seconds (and where the caller forces one: the end of a round)."""

    def __init__(self, total_iters, print_fn=print, every=5.0):
        self.total, self.print, self.every = total_iters, print_fn, every
        self.start = self.last = time.perf_counter()
        self.done = 0
        self.images = 0

    def update(self, position, loss, batch_size, force=False):
        """One step done, at ``position`` (how the run names it: "epoch 2/14  iter 5/250")."""
        self.done += 1
        self.images += batch_size
        now = time.perf_counter()
        if self.every == float("inf") or (not force and now - self.last < self.every):
            return
        self.last = now
        elapsed = now - self.start
        rate = self.images / elapsed if elapsed > 0 else 0.0
        left = elapsed / self.done * (self.total - self.done)
        self.print(f"{position}  loss {loss:.4f}  "
                   f"{rate:.1f} img/s  elapsed {format_seconds(elapsed)}  left {format_seconds(left)}")
