; KISSlicer - FREE
; Linux
; version 1.6.3 Release Linux64
; Built: May  4 2018, 18:10:35
; Running on 4 cores
;
; *** Printer Settings ***
;
; printer_name = sample printer
; num_extruders = 2
;
; *** Material Settings for Extruder 1 ***
;
; material_name = sample material
; temperature_C = 210
; first_layer_C = 215
; bed_C = 60
; chamber_C = 35
;
; *** Style Settings ***
;
; style_name = sample style
; layer_thickness_mm = 0.2
;
; *** G-code Prefix ***
;
G21
G90
;
; *** Main G-code ***
;
; BEGIN_LAYER_OBJECT z=0.300
M109 S215
G1 X4.96 Y6.81 Z0.3 E0 F30000
G1 X5.05 Y7.24 E0.0155 F600
; END_LAYER_OBJECT z=0.30
; BEGIN_LAYER_OBJECT z=10.100
G1 X4.96 Y6.81 Z10.1 E0 F30000
G1 X5.05 Y7.24 E0.0155 F600
; END_LAYER_OBJECT z=10.10
M104 S0
M107
; *** G-code Postfix ***
;
;
; Estimated Build Time:   96.26 minutes
; Estimated Build Cost:   $0.00
;
; Filament used per extruder:
;    Ext 1 =    1234.50 mm  (2.969 cm^3)
;    Ext 2 =     100.00 mm  (0.240 cm^3)
