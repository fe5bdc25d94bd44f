"""The seeds' Multiclass_SVM (002_0fdfff32e8ba0a65.txt, In [1] and In [2]), verbatim: a correct
naive SVM loss written as a method. Check it with
``--map svm_loss_naive=Multiclass_SVM().svm_loss``."""

import numpy as np


class Multiclass_SVM:
    def svm_loss(self, W, X, y, reg):
        """
        Structured SVM loss function, naive implementation (with loops).
        Inputs have dimension D, there are C classes, and we operate on minibatches
        of N examples.
        Inputs:
            - W: A numpy array of shape (D, C) containing weights.
            - X: A numpy array of shape (N, D) containing a minibatch of data.
            - y: A numpy array of shape (N,) containing training labels;
                  y[i] = c means that X[i] has label c, where 0 <= c < C.
            - reg: (float) regularization strength
        Returns a tuple of:
            - loss as single float
            - gradient with respect to weights W; an array of same shape as W
        """
        dW = np.zeros(W.shape)  # initialize the gradient as zero

        # compute the loss and the gradient
        num_classes = W.shape[1]
        num_train = X.shape[0]
        loss = 0.0
        for i in range(num_train):
            scores = X[i].dot(W)
            correct_class_score = scores[y[i]]
            loss_contributors_count = 0  # noqa: F841 - as in the seed
            for j in range(num_classes):
                if j == y[i]:
                    continue
                margin = scores[j] - correct_class_score + 1  # margin = 1
                if margin > 0:
                    loss += margin
                    # incorrect class gradient part
                    dW[:, j] += X[i]
                    # correct class gradient part
                    dW[:, y[i]] -= X[i]

        # Right now the loss is a sum over all training examples, but we want it
        # to be an average instead so we divide by num_train.
        loss /= num_train
        dW /= num_train

        # Add regularization to the loss.
        loss += reg * np.sum(W * W)
        # Add regularization to the gradient
        dW += 2 * reg * W

        return loss, dW


x = np.array([[0.2, 0.4], [0.2, 0.4]])
input_N, input_D = x.shape
y = [0, 1]
output_D = len(y)
# generate a random SVM weight matrix of small numbers
W = np.random.randn(input_D, output_D)
linear_SVM = Multiclass_SVM()
loss, grad = linear_SVM.svm_loss(W, x, y, 0.000005)
print("=====")
print(f"loss: {loss}")
print(f"grad: {grad}")
