;Sliced by ideaMaker 4.2.1.5265, 2022-01-10 10:00:00
;Dimension: 305.000 305.000 605.000 0.400 0.400
;Plate Shape: 0
;Origin Center: 0
;Extruder Offset #1: 0.000 0.000
;Filament Diameter #1: 1.75
;Filament Density #1: 1240
;Filament Type #1: PLA
;Filament Name #1: [Raise3D] PLA
;Bounding Box: 100.000 200.000 100.000 200.000 0.000 25.500
;Print Time: 3600.5
;Material#1 Used: 1000.0
M190 S60
M191 S45
M109 T0 S210
G28
;LAYER:0
;Z:0.3
;HEIGHT:0.3
G1 Z0.3 F600
G1 X10 Y10 E1
;LAYER:1
;Z:0.5
;HEIGHT:0.2
G1 Z0.5 F600
G1 X12 Y10 E1
M104 T0 S0
M84
