"""Procedural radiograph renderer, one job per module:

- `primitives`: ellipses, tapered rods and arcs as normalised-radius fields; bone/soft profiles;
- `layout`: the records of a body part's anatomy (mm) and the helpers the tables use;
- `parts_hand`, `parts_arm`, `parts_leg`, `parts_pelvis`, `parts_spine`: the anatomy tables;
- `tables`: body part -> layout builder;
- `placement`: a layout put on the detector for one patient (age, sex, side, jitter);
- `findings`: fracture cut and displacement, implants, joint space, osteophytes, sclerosis;
- `scene`: the records `placement` and `findings` fill (pixels);
- `raster`: the scene drawn into attenuation layers and masks;
- `film`: exposure, blur, noise, collimation and lead marker; `film_utils`: array helpers;
- `document`: secondary-capture pages (dose screen, scanned form).

The public API is `boneds.synth.radiograph`.
"""
