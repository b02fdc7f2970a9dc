; HEADER_BLOCK_START
; BambuStudio 01.10.01.50
; model printing time: 17m 54s; total estimated time: 23m 41s
; total layer number: 86
; total filament length [mm] : 802.71,10.29
; total filament volume [cm^3] : 1930.74,24.75
; total filament weight [g] : 2.45,0.03
; filament_density: 1.27,1.27
; filament_diameter: 1.75,1.75
; max_z_height: 17.20
; HEADER_BLOCK_END

; CONFIG_BLOCK_START
; chamber_temperatures = 0,0
; cool_plate_temp_initial_layer = 35,35
; curr_bed_type = Cool Plate
; filament_colour = #FFFFFF;#000000
; filament_settings_id = "Bambu PLA Basic @BBL X1C";"Bambu PLA Matte @BBL X1C"
; filament_type = PLA;PLA
; hot_plate_temp_initial_layer = 55,55
; initial_layer_print_height = 0.2
; layer_height = 0.2
; nozzle_diameter = 0.4
; nozzle_temperature = 220,230
; nozzle_temperature_initial_layer = 220,230
; CONFIG_BLOCK_END

; EXECUTABLE_BLOCK_START
M73 P0 R23
M140 S35
M190 S35
M109 S220
G1 Z.2 F600
G1 X10 Y10 E1
G1 Z17.2
G1 X12 Y10 E1
M104 S0
M73 P100 R0
; EXECUTABLE_BLOCK_END
