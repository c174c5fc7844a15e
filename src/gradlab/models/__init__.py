"""gradlab.models: ready-made networks, each an ``nn.Module`` built from plain keyword
arguments (so a config file can name one): ``MLP(64, hidden_sizes=[64, 32])``.

Data-derived sizes use fixed names: ``in_features``, ``in_channels`` + ``image_size``,
``input_size``, ``num_classes`` / ``out_features``, ``num_users``, ``num_items``,
``vocab_size``.
"""

from gradlab.models.autoencoder import Autoencoder
from gradlab.models.cnn import CifarTutorialCNN, LeNet, NotesCNN
from gradlab.models.gan import Discriminator, Generator, discriminator_loss, generator_loss
from gradlab.models.logistic_regression import LogisticRegression
from gradlab.models.mlp import MLP
from gradlab.models.perceptron import Perceptron, PerceptronFit
from gradlab.models.recommender import MatrixFactorization, NeuralCF
from gradlab.models.recurrent import Forecaster, SequenceClassifier
from gradlab.models.resnet import ResidualBlock, ResNet
from gradlab.models.seq2seq import Seq2Seq

__all__ = [
    "Autoencoder", "CifarTutorialCNN", "Discriminator", "Forecaster", "Generator", "LeNet",
    "LogisticRegression", "MLP", "MatrixFactorization", "NeuralCF", "NotesCNN", "Perceptron",
    "PerceptronFit", "ResNet", "ResidualBlock", "Seq2Seq", "SequenceClassifier",
    "discriminator_loss", "generator_loss",
]  # fmt: skip
