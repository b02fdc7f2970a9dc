; <IceSL 2.4.1>
; z_layer_height_first_layer_mm : 0.3
; z_layer_height_mm : 0.2
; nozzle_diameter_mm_0 : 0.4
; extruder_temp_degree_c_0 : 210
; bed_temp_degree_c : 60
; chamber_temp_degree_c : 40
; filament_used_mm : 1200.5
; filament_used_g : 4.5
; filament_name : Ice PLA
; filament_type : PLA
; estimated_print_time_s : 1500
; layer_count : 100
; print_height_mm : 20.25
G21
G90
M190 S60
M109 S210
G0 F600 Z0.3
G1 X10 Y10 E1
G0 F600 Z20.25
G1 X12 Y10 E1
M104 S0
