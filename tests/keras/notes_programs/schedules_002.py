# The notes (002, Q5): the step, exponential, cosine and plateau schedules, each followed by
# the notes' own model.fit line. Only the imports changed. The notes leave model, x_train,
# y_train, x_val, y_val and total_epochs to the reader; the test defines them beforehand.
from gradlab.keras.callbacks import LearningRateScheduler

def step_decay(epoch):
    initial_lr = 0.01
    drop = 0.5
    epochs_drop = 10
    return initial_lr * (drop ** (epoch // epochs_drop))

lr_schedule = LearningRateScheduler(step_decay)

model.fit(x_train, y_train, epochs=50, callbacks=[lr_schedule])
STEP_RATES = model.history.history["learning_rate"]

def exponential_decay(epoch):
    initial_lr = 0.01
    decay_rate = 0.05
    return initial_lr * tf.math.exp(-decay_rate * epoch)

lr_schedule = LearningRateScheduler(exponential_decay)

model.fit(x_train, y_train, epochs=50, callbacks=[lr_schedule])
EXPONENTIAL_RATES = model.history.history["learning_rate"]

from gradlab.keras.callbacks import LearningRateScheduler

import math

def cosine_annealing(epoch):

    initial_lr = 0.01

    return initial_lr * (1 + math.cos(math.pi * epoch / total_epochs)) / 2

lr_schedule = LearningRateScheduler(cosine_annealing)

model.fit(x_train, y_train, epochs=50, callbacks=[lr_schedule])
COSINE_RATES = model.history.history["learning_rate"]

from gradlab.keras.callbacks import ReduceLROnPlateau

lr_schedule = ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=5)

model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=50, callbacks=[lr_schedule])
PLATEAU_RATES = model.history.history["learning_rate"]
