"""The paper's method and one run of it: data, models, Grad-CAM and its family, the losses,
training, evaluation, and the small pieces every run writes with (atomic writes, run info).
Imports only `plan` from the layers above."""
