"""``keras.layers``: Keras 3's layers on channels-last data, each a gradlab Module."""

from gradlab.keras.layers.conv import Conv1D, Conv2D
from gradlab.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from gradlab.keras.layers.embedding import Embedding
from gradlab.keras.layers.input_layer import Input, InputLayer
from gradlab.keras.layers.layer import Layer
from gradlab.keras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Multiply,
    Subtract,
    add,
    concatenate,
)
from gradlab.keras.layers.normalization import BatchNormalization, LayerNormalization
from gradlab.keras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from gradlab.keras.layers.rnn import GRU, LSTM, SimpleRNN

__all__ = [
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "LSTM",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Multiply",
    "Reshape",
    "SimpleRNN",
    "Subtract",
    "add",
    "concatenate",
]
