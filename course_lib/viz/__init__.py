"""course_lib.viz: figures and widgets that draw what the lessons return.

    plotting             figure helpers shared by the notebooks (colours, histograms, curves)
    gradcheck_plots      notebook 03's figures
    mnist_plots          notebook 04's figures (reproduction, hidden z, bias ablation)
    trainability_plots   notebook 06-07's figures (loss curves, trainability and signal maps)
    flower               notebook 08's figures (the data, the search, the reproduction, the plateau)
    live_figure          LiveFigure and the PNG encoder behind every widget
    widgets              the explorers of notebooks 01, 02 and 05 and their ipywidgets
    depth_explorer       notebook 05's depth slider (DepthExplorer)
    train_widget         notebook 04's train-it-yourself widget
    beyond_fan_in        notebook 09's figures (gains, leaky ReLU, draws, gradient signs, mistakes)
    optimizer_plots      notebook 11's figures (loss over seeds, the size of a first step)

Importing course_lib.viz imports no matplotlib; each module does, on its own import.
"""
