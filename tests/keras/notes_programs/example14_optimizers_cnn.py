# The notes (002, Q4 on optimizers): the CIFAR-10 CNN trained with four optimizers (worked
# example 14). Only the imports changed; the lost indentation of the converted document is
# restored.
import gradlab as tf

from gradlab.keras import datasets, layers, models

from gradlab.keras.optimizers import SGD, Adam, RMSprop, Adagrad

import matplotlib.pyplot as plt

# Load CIFAR-10 dataset

(x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()

x_train, x_test = x_train / 255.0, x_test / 255.0 # Normalize data


def create_model():

    model = models.Sequential([

        layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)),

        layers.MaxPooling2D((2, 2)),

        layers.Conv2D(64, (3, 3), activation='relu'),

        layers.MaxPooling2D((2, 2)),

        layers.Conv2D(64, (3, 3), activation='relu'),

        layers.Flatten(),

        layers.Dense(64, activation='relu'),

        layers.Dense(10, activation='softmax') # 10 classes for CIFAR-10

    ])

    return model


optimizers = {

    'SGD': SGD(learning_rate=0.01, momentum=0.9),

    'Adam': Adam(learning_rate=0.001),
    'RMSprop': RMSprop(learning_rate=0.001),
    'Adagrad': Adagrad(learning_rate=0.01)
}

history_per_optimizer = { }

for name, optimizer in optimizers.items():

    print(f"\nTraining with {name} optimizer")

    model = create_model()

    model.compile(optimizer=optimizer,

                  loss='sparse_categorical_crossentropy',

                  metrics=['accuracy'])

    history = model.fit(x_train, y_train, epochs=10,

                       validation_data=(x_test, y_test),

                       batch_size=64, verbose=2)

    history_per_optimizer[name] = history


def plot_metrics(history_dict, metric):

    plt.figure(figsize=(12, 8))

    for name, history in history_dict.items():

        plt.plot(history.history[metric], label=f'{name} - train')

        plt.plot(history.history[f'val_{metric}'], linestyle="--", label=f'{name} - val')

    plt.title(f'{metric.capitalize()} per Optimizer')

    plt.xlabel('Epoch')

    plt.ylabel(metric.capitalize())

    plt.legend()

    plt.show()

# Plot training/validation accuracy and loss

plot_metrics(history_per_optimizer, 'accuracy')

plot_metrics(history_per_optimizer, 'loss')
