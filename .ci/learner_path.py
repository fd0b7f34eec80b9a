"""Idempotent markdown edits for the learner's path (issue 18 items 5, 6; issue 17 item 7).

Each inserted block sits between <!-- path:NAME --> and <!-- /path:NAME --> and is replaced on rerun.
Only markdown cells change, so stored outputs stay valid.
usage: python .ci/learner_path.py notebooks/   (rerun it when a notebook is added: the table, the links)
"""
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
try:                                   # the one-off worked answers (already in the notebooks)
    from answers import ANSWERS, details  # noqa: E402
except ImportError:
    ANSWERS = {}

NIELSEN3 = "[Nielsen, *Neural Networks and Deep Learning*, ch. 3](http://neuralnetworksanddeeplearning.com/chap3.html)"
NIELSEN5 = "[Nielsen, ch. 5](http://neuralnetworksanddeeplearning.com/chap5.html)"
NIELSEN2 = "[Nielsen, ch. 2](http://neuralnetworksanddeeplearning.com/chap2.html)"
CS231N2 = "[CS231n notes, *Setting up the data and the model*](https://cs231n.github.io/neural-networks-2/)"
CS231N3 = "[CS231n notes, *Learning and evaluation* (gradient checks)](https://cs231n.github.io/neural-networks-3/)"
CS231NCASE = "[CS231n's spiral case study](https://cs231n.github.io/neural-networks-case-study/)"
GLOROT = "[Glorot & Bengio 2010](https://proceedings.mlr.press/v9/glorot10a.html)"
HE = "[He et al. 2015](https://arxiv.org/abs/1502.01852)"
SAXE = "[Saxe et al. 2014](https://arxiv.org/abs/1312.6120)"
SCHOENHOLZ = "[Schoenholz et al. 2017](https://arxiv.org/abs/1611.01232)"
POOLE = "[Poole et al. 2016](https://arxiv.org/abs/1606.05340)"
LECUN98 = "[LeCun et al. 1998, *Efficient BackProp*](http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf)"
DLAI = "deeplearning.ai's *Improving Deep Neural Networks* ([course](https://www.coursera.org/learn/deep-neural-network))"
DLAI_INIT = f"the *Initialization* lab of {DLAI}"
DLAI_GRAD = f"the *Gradient Checking* lab of {DLAI}"
KARPATHY = "[Karpathy, *makemore* part 3](https://www.youtube.com/watch?v=P6sfmUTpUmc)"
D2L = "[d2l.ai, *Numerical Stability and Initialization*](https://d2l.ai/chapter_multilayer-perceptrons/numerical-stability-and-init.html)"
DLFS = ("Saito, *Deep Learning from Scratch*, ch. 6 ([code](https://github.com/oreilly-japan/deep-learning-from-scratch),"
        " `ch06/weight_init_activation_histogram.py`)")
TORCH_GAIN = "[PyTorch's `calculate_gain`](https://pytorch.org/docs/stable/nn.init.html)"

SOURCES = {
    "01": [f"{NIELSEN3}: the saturated neuron, the cross-entropy cost and the new initialization (sections 2-4 follow it)",
           f"{LECUN98}: why a sigmoid unit must start in its linear range"],
    "02": [f"**Credit:** the experiment of sections 1-4 (1,000 examples of 100 features through 5 layers of 100 units, a histogram per layer) is {DLFS}",
           f"{CS231N2} (weight initialization), {GLOROT}, {HE}",
           f"{KARPATHY} (per-layer statistics beside the histograms), {D2L}"],
    "03": [f"{CS231N3} (relative error and its bands, kinks), {DLAI_GRAD}", f"{NIELSEN2} (backprop in matrix form)"],
    "04": [f"{NIELSEN3}, section *Weight initialization* (the experiment reproduced here, and its published curves)"],
    "05": [f"{NIELSEN5} (the speed of learning per layer, section 1)", f"{GLOROT} (Jacobians, section 5), {HE} (section 4)",
           f"{SAXE} (orthogonal weights), {SCHOENHOLZ} (the order-to-chaos boundary), {D2L}"],
    "06": [f"{CS231NCASE} and {CS231N2} (the spiral, std 0.01)",
           f"**Credit:** the zeros / too large / He comparison on circles (section 2) follows {DLAI_INIT}", f"{HE}"],
    "07": [f"{SCHOENHOLZ} (the critical line and the depth scales), {POOLE} (the order-to-chaos transition)",
           f"{SAXE} (deep linear nets near the critical line)"],
    "08": [f"the planar-data lab of {DLAI} (the flower)", f"{LECUN98} (the $1/\\sqrt{{n_{{in}}}}$ rule the post calls Xavier)"],
    "09": [f"{TORCH_GAIN} (tanh's 5/3, leaky ReLU's gain), {HE}, {GLOROT}, {LECUN98}", f"{CS231N2} (preprocessing, zero-centred data)"],
    "10": [f"{NIELSEN3}, the Problem at the end of section *Weight initialization*"],
}

#: (number, file, role, what you get). Role: main path, side path, deep dive.
PATH = [
    ("00", "00_start_here.ipynb", "main path", "the setup checked, the library in a few lines, this map"),
    ("01", "01_saturation.ipynb", "main path", "why a sigmoid neuron whose input is too large stops learning"),
    ("02", "02_activation_histograms.ipynb", "main path", "activations layer by layer for every initializer: the variance rule behind LeCun, Xavier and He"),
    ("03", "03_gradient_checking.ipynb", "main path (sections 1-3 and 5); deep dive (4, 6, 7)", "how to trust or catch your backprop with finite differences"),
    ("04", "04_mnist_old_vs_new.ipynb", "main path", "the payoff: Nielsen's old vs new initialization on MNIST, reproduced over seeds"),
    ("05", "05_vanishing_exploding.ipynb", "main path (sections 1-4); deep dive (5)", "gradients that vanish or explode with depth; He vs Xavier at 30 layers"),
    ("06", "06_spiral.ipynb", "main path", "too small sits at chance, zeros never break symmetry, too large blows up"),
    ("07", "07_trainability_map.ipynb", "deep dive", "a phase diagram of (depth, std) with the critical line of mean-field theory"),
    ("08", "08_flower_plateau.ipynb", "side path", "the flower experiment reproduced: a one-hidden-layer plateau, not a wall"),
    ("09", "09_beyond_fan_in.ipynb", "side path", "gains, uniform vs normal, input scaling, what the names mean, six circulating mistakes"),
    ("10", "10_weight_decay_and_old_init.ipynb", "side path", "Nielsen's Problem measured: does weight decay turn the old init into the new one?"),
    ("11", "11_optimizers_and_dropout.ipynb", "side path", "does momentum, RMSProp or Adam rescue a bad init? what dropout does to the statistics"),
    ("12", "12_normalization_and_residuals.ipynb", "side path", "batch norm and residual connections: what they fix, and what the init still decides"),
]

TAKEAWAY = {
    "05": ("**Why this notebook.** Notebook 04 showed that the old initialization costs six points of accuracy in the "
           "first epoch of a *shallow* net. Deeper nets make the same mistake fatal: every layer multiplies the "
           "gradient by a factor, and thirty factors of 0.5 or 2 leave nothing, or an overflow. This notebook "
           "measures that factor and shows which initializer keeps it at 1 for which activation.",
           "> **What to take away if you skip the theory.**\n"
           "> * Going back one layer multiplies the gradient by about $\\sqrt{n\\,\\mathrm{Var}[W]}$ times the typical "
           "slope $f'(z)$: below 1 it vanishes with depth, above 1 it explodes.\n"
           "> * Use He ($\\mathrm{Var}[W] = 2/n_{in}$) for ReLU and LeCun/Xavier ($1/n_{in}$) for tanh: a 30-layer "
           "ReLU net trains with He and stalls with Xavier (section 4).\n"
           "> * Sections 1-4 are the main path; section 5 (Jacobians, orthogonal weights) is a deep dive."),
    "07": ("**Why this notebook.** Notebooks 05 and 06 tried a handful of initializers. Here is the whole picture at "
           "once: for every depth and every weight scale, does plain SGD train? The answer is a band around one "
           "critical scale, predicted by a single number per activation. It is a deep dive: the main path goes on "
           "without it.",
           "> **What to take away if you skip the theory.**\n"
           "> * There is one critical weight scale per activation: $1/\\sqrt{n}$ for tanh, $\\sqrt{2/n}$ for ReLU "
           "(LeCun/Xavier and He are exactly these).\n"
           "> * The deeper the network, the narrower the band of scales that trains: at 30 layers only scales close "
           "to the critical one do.\n"
           "> * A cheap forward-and-backward pass at initialization already tells you where training will work."),
}

DEEP_DIVE_03 = ("> **Deep dive (optional): sections 4, 6 and 7.** The main path through this notebook is sections 1-3 "
                "(backprop, finite differences, relative error) and 5 (which careless check misses which bug). "
                "Sections 4 (checking the whole library), 6 (ReLU's kinks) and 7 (what a check costs) are the "
                "engineering: read them when you write a gradient check of your own. Inline Question 3 and "
                "Exercises 4-5 use them.")

CHECK_CELLS_00 = ("**About the cells that start with `# Check:`.** Most lessons follow a computation with a collapsed "
                  "cell (shown as `…`) that begins `# Check: the numbers above`. It holds the text to the numbers: it "
                  "asserts, within stated tolerances, what the prose claims, and prints one line when it passes. The "
                  "course's tests run them. You may ignore them; click the `…` to read one. If one ever fails on "
                  "your machine, that is a bug in the course: please report it.")


DEEP_SECTIONS = {"03": ("## 4. ", "## 6. ", "## 7. "), "05": ("## 5. ",)}


def block(name, text):
    return f"<!-- path:{name} -->\n{text}\n<!-- /path:{name} -->"


def put(source, name, text, where="end", anchor=None):
    """Insert (or replace) the named block in a markdown source."""
    new = block(name, text)
    pattern = re.compile(rf"<!-- path:{name} -->.*?<!-- /path:{name} -->", re.S)
    if pattern.search(source):
        return pattern.sub(lambda m: new, source)
    if where == "end":
        return source.rstrip() + "\n\n" + new
    if where == "before":
        i = source.index(anchor)
        return source[:i] + new + "\n\n" + source[i:]
    if where == "after":
        i = source.index(anchor) + len(anchor)
        return source[:i] + "\n\n" + new + source[i:]
    raise ValueError(where)


NOT_YET = " (not yet in the course)"


def relink(source, folder):
    """Links only to notebooks that exist: [T](F.ipynb) with F missing becomes 'T (not yet in the course)'
    with F kept in a comment, and back into a link once F exists."""
    def unlink(m):
        target = m.group(2)
        return m.group(0) if (folder / target).exists() else f"<!-- link -->{m.group(1)}{NOT_YET}<!-- {target} -->"

    def link_again(m):
        target = m.group(2)
        return f"[{m.group(1)}]({target})" if (folder / target).exists() else m.group(0)

    source = re.sub(r"\[([^\]]+)\]\((\d\d_[\w-]+\.ipynb)\)", unlink, source)
    return re.sub(r"<!-- link -->(.+?)" + re.escape(NOT_YET) + r"<!-- (\d\d_[\w-]+\.ipynb) -->", link_again, source)


def title(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source.split("\n")[0].lstrip("# ").strip()
    return first.split(":")[0]


def link(path):
    return f"[{title(path)}]({path.name})"


def nav(paths, k):
    here = paths[k]
    parts = []
    if k > 0:
        parts.append(f"Previous: {link(paths[k - 1])}")
    if k + 1 < len(paths):
        parts.append(f"Next: {link(paths[k + 1])}")
    parts.append(f"The map of the course: [{title(paths[0])}]({paths[0].name})")
    if k + 1 == len(paths) and here.name != paths[0].name:
        parts[-1] = f"Back to the map of the course: [{title(paths[0])}]({paths[0].name})"
    return " · ".join(parts)


def path_table(folder):
    rows = ["| notebook | path | what you get |", "|---|---|---|"]
    for number, name, role, what in PATH:
        cell = f"[{number} · {name[3:-6].replace('_', ' ')}]({name})" if (folder / name).exists() else f"`{name[:-6]}` (coming)"
        rows.append(f"| {cell} | {role} | {what} |")
    return ("**The path.** The *main path* (00 to 06, without 03's and 05's deep-dive sections) is the course's "
            "argument from the saturated neuron to a trained deep net. *Side paths* answer one question each and can "
            "be read in any order after 06. *Deep dives* are the theory and the engineering for readers who want "
            "them; nothing later depends on them.\n\n" + "\n".join(rows))


def main(folder):
    folder = Path(folder)
    paths = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    for k, p in enumerate(paths):
        nb = nbformat.read(p, as_version=4)
        number = p.name[:2]
        md = [c for c in nb.cells if c.cell_type == "markdown"]
        first, last = md[0], md[-1]
        if number == "00":
            table_cell = next(c for c in md if "| notebook |" in c.source or "path:toc" in c.source)
            src = table_cell.source
            start = src.find("| notebook |")
            if "path:toc" not in src and start >= 0:                       # the old table: replaced by the path
                end = src.find("\n\n", start)
                src = src[:start].rstrip() + "\n\n" + block("toc", path_table(folder)) + ("" if end < 0 else src[end:])
            else:
                src = put(src, "toc", path_table(folder))
            src = put(src, "checkcells", CHECK_CELLS_00)
            table_cell.source = src
        if number in SOURCES:
            first.source = put(first.source, "sources",
                               "**Sources this notebook follows.** " + "; ".join(SOURCES[number]) + ".")
        if number in TAKEAWAY:
            motivation, box = TAKEAWAY[number]
            first.source = put(first.source, "why", motivation, where="before", anchor="**What you will learn**")
            first.source = put(first.source, "takeaway", box)
        if number in DEEP_SECTIONS:
            if number == "03":
                first.source = put(first.source, "deepdive", DEEP_DIVE_03)
            for c in md:
                for sec in DEEP_SECTIONS[number]:
                    for line in c.source.split("\n"):
                        if line.startswith(sec) and "(deep dive)" not in line:
                            c.source = c.source.replace(line, line + " (deep dive)")
        if number in ANSWERS and "path:answers" not in last.source:      # once: later edits are the notebook's
            last.source = put(last.source, "answers", details(number), where="before", anchor="<!-- path:nav -->") \
                if "<!-- path:nav -->" in last.source else put(last.source, "answers", details(number))
        for c in md:
            c.source = relink(c.source, folder)
        has_nav = re.search(r"Next:\s*\[", last.source) or "path:nav" in last.source
        if "path:nav" in last.source or not has_nav:
            last.source = put(last.source, "nav", nav(paths, k))
        if p.name not in SKIP:
            nbformat.write(nb, p)


SKIP = set(filter(None, __import__("os").environ.get("SKIP", "").split(",")))

if __name__ == "__main__":
    main(sys.argv[1])
