"""Split lists: one id per line, read as other tools write them, written plainly."""
from fcn_scratch.data import read_split_list, write_split_list


def test_a_written_list_reads_back(tmp_path):
    write_split_list(tmp_path / "seg11valid.txt", ["2007_000033", "2011_003276"])
    assert (tmp_path / "seg11valid.txt").read_text() == "2007_000033\n2011_003276\n"
    assert read_split_list(tmp_path / "seg11valid.txt") == ["2007_000033", "2011_003276"]


def test_other_tools_lists_are_read_as_meant(tmp_path):
    (tmp_path / "val.txt").write_bytes(b"\xef\xbb\xbfa.jpg\r\n\r\n b \r\nc.PNG\r\n")
    assert read_split_list(tmp_path / "val.txt") == ["a", "b", "c"]
