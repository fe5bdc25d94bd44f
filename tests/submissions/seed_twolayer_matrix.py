"""The seeds' second TwolayerNet (002_0fdfff32e8ba0a65.txt, In [5] and In [6]), verbatim (the
print calls use f-strings): the lecture's matrix example z1 = X W1, h1 = ReLU(z1),
y_hat = h1 W2, L = ||y_hat||^2. ``loss(X)`` returns the loss of each row (a vector, not L) and
a grads dict with keys dW1, dW2, dx (and intermediate ones). Check it with
``--map matrix_example=TwolayerNet --grad-keys X=dx``."""

import numpy as np


class TwolayerNet:
    """
    A two layer fully-connected neural network. The network has
    an input dimension of N, a hidden layer dimension of H,
    I train the network with activation function of ReLU
    and L2 Distance Loss function on the weight matrices.

    In other words, the network has the architecture like image above.

    input - fully-connected layer - ReLU - fully-connected layer - L2 loss
    """

    def __init__(self, input_size=2, hidden_size=2, output_size=1):
        """
        Initialized the model. Weights are initialized to small random values
        and biases are initialized to zero. Weight and biases are stored
        in the variable self.params, which is a dictionary with the following keys:

        W1 = First layer weights; has a shape (D, H)
        W2 = Second layer weights; has a shape (H,C)

        Inputs :
            - input_size: The dimension D of the input data.
            - hiddend_size: The number of neurons H in the hidden layer.
            - output_size: The number of data point's dimensionality.
        """
        self.params = {}
        # np.array([[0.1,-0.3],[0.5,0.8]])
        self.params["W1"] = np.random.randn(input_size, hidden_size)
        self.params["W2"] = np.random.randn(hidden_size, output_size)

    def loss(self, X):
        """
        Compute the loss and gradients for a two layer
        fully-connected neural network.

        Input:
            - X: Input data of shape (N, D). Each X[i] is a training sample.

        Return:
            - loss: Loss (data loss and regularization loss) for this batch
                    of training samples.
            - grads: gradients of all variable in our network
                     with respect to the loss function.
        """
        # unpack variables from the params dictionary
        W1 = self.params["W1"]
        W2 = self.params["W2"]

        # forward pass

        # first layer
        h1 = X.dot(W1)

        # reference
        # https://docs.scipy.org/doc/numpy-1.15.1/reference/generated/numpy.fmax.html
        h1_activated = np.fmax(0, h1)

        # second layer
        h2 = h1_activated.dot(W2)

        loss = np.sum(np.square(h2), axis=1)

        #####
        grads = {}

        grads["dloss"] = 2 * h2

        grads["dh2"] = grads["dloss"].dot(W2.T)
        grads["dW2"] = h1_activated.T.dot(grads["dloss"])

        # Relu
        mask = np.zeros((X.shape[0], W1.shape[1]))
        mask[h1 > 0] = 1
        grads["dh1"] = mask * grads["dh2"]

        grads["dW1"] = X.T.dot(grads["dh1"])
        grads["dx"] = grads["dh1"].dot(W1.T)

        return loss, grads


x = np.array([[0.2, 0.4]])

input_N, input_D = x.shape

nn = TwolayerNet(input_size=input_D, hidden_size=2, output_size=1)

loss, grads = nn.loss(x)

print("==== solution =====")
print(f"grad_W1: {grads['dW1']}")
print(f"grad_W2: {grads['dW2']}")
