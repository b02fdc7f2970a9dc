;FLAVOR:Marlin
;TIME:6642
;Filament used: 1.58133m, 0.2m
;Layer height: 0.2
;MINX:80.2
;MINY:80.2
;MINZ:0.3
;MAXX:140.8
;MAXY:140.8
;MAXZ:48.2
;TARGET_MACHINE.NAME:Creality Ender-3
;Generated with Cura_SteamEngine 5.4.0
;Nozzle diameter = 0.4
;Filament name = "Generic PLA"
;Filament type = PLA
;Filament weight = [4.71, 0.6]
M140 S60
M105
M190 S60
M104 S200
M105
M109 S200
M82 ;absolute extrusion mode
G28 ;Home
;LAYER_COUNT:240
;LAYER:0
M107
G0 F6000 X80.2 Y80.2 Z0.3
;TYPE:WALL-OUTER
G1 F1500 X140.8 Y80.2 E2.5
;TIME_ELAPSED:20.5
;LAYER:239
G0 X80.2 Y80.2 Z48.2
G1 X140.8 Y80.2 E2000.5
;TIME_ELAPSED:6642.0
G1 Z58.2 ;lift
M140 S0
M107
M84
M82 ;absolute extrusion mode
M104 S0
;End of Gcode
;SETTING_3 {"global_quality": "[general]\\nversion = 4\\nname = Standard Quality #2\\n"}
