import numpy as np

from fcn_scratch import buffers


def test_kept_arrays_are_the_same_memory_per_owner_and_name():
    class Owner:
        pass
    a, b = Owner(), Owner()
    first = buffers.kept(a, "cols", (4, 5), np.float32, np)
    assert np.shares_memory(first, buffers.kept(a, "cols", (2, 3), np.float64, np))
    assert not np.shares_memory(first, buffers.kept(a, "other", (4, 5), np.float32, np))
    assert not np.shares_memory(first, buffers.kept(b, "cols", (4, 5), np.float32, np))
    grown = buffers.kept(a, "cols", (1000, 1000), np.float32, np)
    assert grown.shape == (1000, 1000) and grown.dtype == np.float32
    assert not np.shares_memory(first, grown)
    assert np.shares_memory(grown, buffers.kept(a, "cols", (4, 5), np.float32, np))


def test_an_owner_on_another_device_gets_a_new_array_and_lets_the_old_one_go():
    """After a layer moved, its kept arrays follow it: asked on the other device, the old one is dropped."""
    import weakref

    class Owner:
        pass

    class OtherDevice:
        """An array module that stands for another device: its arrays are NumPy's, its name is not."""
        __name__ = "other"
        uint8 = np.uint8

        @staticmethod
        def empty(shape, dtype):
            return np.empty(shape, dtype)
    owner = Owner()
    block = buffers.kept(owner, "cols", (8,), np.float32, np)
    while block.base is not None:                   # the memory under the view handed out
        block = block.base
    host_block = weakref.ref(block)
    del block
    moved = buffers.kept(owner, "cols", (8,), np.float32, OtherDevice)
    assert host_block() is None and moved.shape == (8,)
    assert np.shares_memory(moved, buffers.kept(owner, "cols", (2,), np.float32, OtherDevice))


def test_work_arrays_are_one_per_name_until_released():
    work = buffers.WorkArrays()
    first = work.get("a", (3, 3), np.float32, np)
    assert np.shares_memory(first, work.get("a", (2,), np.float64, np))
    assert not np.shares_memory(first, work.get("b", (3, 3), np.float32, np))
    assert work.nbytes == 2 * 36
    work.release()
    assert work.nbytes == 0 and not np.shares_memory(first, work.get("a", (3, 3), np.float32, np))


def test_samples_per_chunk():
    assert buffers.samples_per_chunk(buffers.SHARED_LIMIT // 3, 8) == 3
    assert buffers.samples_per_chunk(10 ** 12, 8) == 1
    assert buffers.samples_per_chunk(1, 8) == 8
