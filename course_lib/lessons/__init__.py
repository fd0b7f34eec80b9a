"""course_lib.lessons: the experiments each notebook runs, as plain functions returning data.

One module per notebook, named after it:

    saturation         01  Nielsen's saturated neuron, learning slowdown
    histograms         02  activations through depth, predicted by Gaussian integrals
    gradient_checking  03  twelve buggy backprops and which checks catch them
    mnist_old_vs_new   04  Nielsen's old vs new initialization on MNIST
                           (``python -m course_lib.lessons.mnist_old_vs_new`` reruns it)
    depth              05  deep networks and their gradient flow per initializer
    trainability_map   07  training many deep stacks at once: the trainability map
    flower             08  the flower experiment: the post's losses reproduced, the plateau measured
                           (``benchmarks/flower_search.py`` runs the full settings search)
    beyond_fan_in      09  gains, the draw's shape, input scaling, gradient signs; what the
                           initializers' names mean and six circulating mistakes, measured
    weight_decay       10  Nielsen's Problem: L2 decay with the old initialization, measured
                           (``python -m course_lib.lessons.weight_decay`` reruns it)
    optimizers         11  which bad inits Adam rescues (too small) and which it cannot; dropout
    normalization      12  batch norm and residual connections at depth 50: what they change,
                           what init still decides (``python -m course_lib.lessons.normalization``)

``results_file`` saves the command-line experiments' JSON atomically, for 04, 10 and 12.

Notebook 06 (spiral) needs no lesson code beyond course_lib.nn and the figures.
Lessons use course_lib.nn, course_lib.diagnostics and course_lib.data; the figures
that draw their results are in course_lib.viz.
"""
