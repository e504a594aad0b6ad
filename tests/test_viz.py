"""The figures a run leaves: they say what they show (legend, best epoch, absent classes)."""
import numpy as np
from matplotlib.figure import Figure

from fcn_scratch import viz


def _capture(monkeypatch):
    """``{"fig": the figure}`` of the next plot, kept as it is saved."""
    saved, savefig = {}, Figure.savefig

    def keep(fig, path, **kwargs):
        saved["fig"] = fig
        return savefig(fig, path, **kwargs)
    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def test_predictions_have_a_legend_of_the_classes_shown(monkeypatch):
    saved = _capture(monkeypatch)
    labels = np.array([[[0, 1], [255, 2]]])
    viz.plot_predictions(np.zeros((1, 3, 2, 2)), labels, np.zeros((1, 2, 2), np.int64), "p.png",
                         ["background", "circle", "square"])
    legend = saved["fig"].legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["background", "circle", "square", "ignored"]


def test_curves_mark_the_best_epoch_on_whole_epochs(monkeypatch):
    saved = _capture(monkeypatch)
    history = [{"epoch": e, "train_loss": 1.0 / e, "mean_iu": iu, "pixel_acc": 0.9} for e, iu in
               [(1, 0.5), (2, 0.7), (3, 0.6)]]
    viz.plot_curves(history, "c.png")
    fig: Figure = saved["fig"]
    validation = fig.axes[1]
    assert "best: epoch 2" in [t.get_text() for t in validation.get_legend().get_texts()]
    ticks = validation.get_xticks()
    assert np.allclose(ticks, np.round(ticks))


def test_confusion_says_n_a_for_an_absent_class(monkeypatch):
    saved = _capture(monkeypatch)
    viz.plot_confusion(np.array([[5, 1], [0, 0]]), "m.png", ["a", "b"])
    texts = [t.get_text() for t in saved["fig"].axes[0].texts]
    assert texts == ["0.83", "0.17", "n/a", "n/a"]
