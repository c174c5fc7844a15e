# The notes (001, Q1): step decay as a Keras callback. Only the import changed.
import gradlab as tf

def step_decay(epoch):

    initial_lr = 0.01

    drop = 0.5

    epochs_drop = 10

    return initial_lr * (drop ** (epoch // epochs_drop))

lr_scheduler = tf.keras.callbacks.LearningRateScheduler(step_decay)
