"""CS231n's layers, losses, models and update rules in NumPy, under the course's own file
names (linear_svm, softmax, layers, fc_net, cnn, rnn_layers, optim, ...)."""
