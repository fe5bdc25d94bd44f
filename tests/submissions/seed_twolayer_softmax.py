"""The seeds' first TwolayerNet (002_0fdfff32e8ba0a65.txt, In [3] and In [4]), verbatim (the
print calls use f-strings). Its bugs: the forward pass reads the notebook's global ``x``
instead of the argument ``X``, the second layer multiplies the pre-activation ``H1`` instead
of the ReLU output ``X2`` (which the backward pass uses), and there is no regularization
although the docstring promises one; ``loss`` also needs labels (no test-time scores).
Check it with ``--map TwoLayerNet=TwolayerNet``."""

import numpy as np


class TwolayerNet:
    """
    A two layer fully-connected neural network.
    The network has an input dimension of N,
    a hidden layer dimension of H,
    I train the network with activation function of ReLU
    and L2 Distance Loss function on the weight matrices.
    In other words, the network has the architecture like image above.
    input - fully-connected layer - ReLU - fully-connected layer - softmax
    """

    def __init__(self, input_size=2, hidden_size=2, output_size=2):
        """
        Initialized the model. Weights are initialized to small random values
        and biases are initialized to zero. Weight and biases are stored
        in the variable self.params, which is a dictionary with the following keys:

        W1 = First layer weights; has a shape (D, H)
        b1: First layer biases; has shape (H,)
        W2 = Second layer weights; has a shape (H,C)
        b2: Second layer biases; has shape (C,)

        Inputs :
            - input_size: The dimension D of the input data.
            - hiddend_size: The number of neurons H in the hidden layer.
            - output_size: The number of data point's dimensionality.
        """
        self.params = {}
        self.params["W1"] = np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y):
        """
        Compute the loss and gradients
        for a two layer fully-connected neural network.

        Input:
            - X: Input data of shape (N, D). Each X[i] is a training sample.

        Return:
            - loss: Loss (data loss and regularization loss)
                    for this batch of training samples.
            - grads: gradients of all variable
                     in our network with respect to the loss function.
        """
        # unpack variables from the params dictionary
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        num_data, dim_data = X.shape

        # forward pass
        H1 = np.dot(x, W1) + b1
        X2 = np.fmax(0, H1)
        H2 = np.dot(H1, W2) + b2
        scores = H2

        # compute loss
        scores -= scores.max()
        scores_exp = np.exp(scores)
        softmax_matrix = scores_exp / np.sum(scores_exp, axis=1, keepdims=True)
        loss = softmax_matrix[np.arange(num_data), y]
        loss = -np.sum(np.log(loss)) / num_data

        # Backward
        grads = {}

        # (scores_sum - cors) / scores_sums is almost equal to 1
        softmax_matrix[np.arange(num_data), y] -= 1
        softmax_matrix /= num_data

        # W2 gradient
        dW2 = X2.T.dot(softmax_matrix)

        # b2 gradient
        db2 = softmax_matrix.sum(axis=0)

        # W1 gradeint
        dW1 = softmax_matrix.dot(W2.T)
        dH1 = dW1 * (H1 > 0)
        dW1 = X.T.dot(dH1)

        # b1 gradient
        db1 = dH1.sum(axis=0)

        grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        return loss, grads


x = np.array([[0.2, 0.4], [0.2, 0.4]])
input_N, input_D = x.shape
y = [0, 1]
output_D = len(y)

nn = TwolayerNet(input_size=input_D, hidden_size=2, output_size=output_D)
loss, grads = nn.loss(x, y)
print("=====")
print(f"loss: {loss}")
print(f"grad_W2: {grads['W2']}")
print(f"grad_b2: {grads['b2']}")
print(f"grad_W1: {grads['W1']}")
print(f"grad_b1: {grads['b1']}")
